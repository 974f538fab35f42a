using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Messaging;

namespace SessionBuddy.AkoshaSync.Consumers;

/// <summary>akosha_replay: the chosen dead letters (all without ids) go back into the queue with fresh attempts.</summary>
public sealed class ReplayAkoshaDeadLettersConsumer(PushQueueStore queue, PushSignal signal) : IConsumer<ReplayAkoshaDeadLetters>
{
    public Task Consume(ConsumeContext<ReplayAkoshaDeadLetters> context) => context.RespondWithAsync(async () =>
    {
        var ids = context.Message.Ids;
        if (ids is { Count: > 1000 })
        {
            throw RequestRejectedException.InvalidArgument("ids", $"{ids.Count} ids given; at most 1000 per call (omit ids to replay all)");
        }
        var replayed = await queue.ReplayAsync(ids, context.CancellationToken);
        signal.Notify();
        return replayed;
    });
}
