using MassTransit;

namespace SessionBuddy.ServiceDefaults.Messaging;

public static class RequestReplies
{
    /// <summary>
    /// Responds with what <paramref name="handle"/> produces, or with the <see cref="SessionBuddy.Contracts.RequestRejected"/>
    /// it throws. Caught here rather than in a filter: MassTransit sends a Fault to the requester as
    /// soon as a consumer throws, before any outer filter could answer instead.
    /// </summary>
    public static async Task RespondWithAsync<TResult>(this ConsumeContext context, Func<Task<TResult>> handle)
        where TResult : class
    {
        TResult result;
        try
        {
            result = await handle();
        }
        catch (RequestRejectedException ex)
        {
            await context.RespondAsync(ex.Rejection);
            return;
        }
        await context.RespondAsync(result);
    }
}
