using MassTransit;

namespace SessionBuddy.ServiceDefaults.Messaging;

/// <summary>Answers a request with its <see cref="RequestRejectedException.Rejection"/> instead of faulting it.</summary>
public sealed class RejectionFilter<T> : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (RequestRejectedException ex) when (context.RequestId is not null)
        {
            await context.RespondAsync(ex.Rejection);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("request-rejection");
}
