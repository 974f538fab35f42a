using Microsoft.Extensions.Options;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Messaging;

namespace SessionBuddy.AkoshaSync.Consumers;

public sealed class GetAkoshaSyncStatusConsumer(PushQueueStore queue, IOptions<AkoshaOptions> options) : IConsumer<GetAkoshaSyncStatus>
{
    public Task Consume(ConsumeContext<GetAkoshaSyncStatus> context) =>
        context.RespondWithAsync(() => queue.StatusAsync(options.Value, context.CancellationToken));
}
