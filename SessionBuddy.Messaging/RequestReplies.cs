using MassTransit;
using SessionBuddy.Contracts;

namespace SessionBuddy.Messaging;

public static class RequestReplies
{
    /// <summary>
    /// Responds with what <paramref name="handle"/> produces, or with the <see cref="RequestRejected"/>
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
            await context.RespondAsync(ex.Rejection, NoConfirmWait<RequestRejected>);
            return;
        }
        await context.RespondAsync(result, NoConfirmWait<TResult>);
    }

    /// <summary>
    /// Replies do not wait for RabbitMQ's publisher confirm (the consumer finishes one broker round trip
    /// sooner): a reply lost with the broker makes the requester time out and retry with the same
    /// operation id, which the service answers without applying the operation twice.
    /// </summary>
    private static void NoConfirmWait<T>(SendContext<T> context)
        where T : class => context.TrySetAwaitAck(false);
}
