using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Messaging;

namespace SessionBuddy.AkoshaSync.Consumers;

public sealed class ListAkoshaDeadLettersConsumer(PushQueueStore queue) : IConsumer<ListAkoshaDeadLetters>
{
    public const int MaxLimit = 500;

    public Task Consume(ConsumeContext<ListAkoshaDeadLetters> context) => context.RespondWithAsync(() =>
        context.Message.Limit is { } limit and (< 1 or > MaxLimit)
            ? throw RequestRejectedException.InvalidArgument("limit", $"must be 1..{MaxLimit}, got {limit}")
            : queue.DeadLettersAsync(context.Message.Limit ?? 50, context.CancellationToken));
}
