using Microsoft.Extensions.Options;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Messaging;

namespace SessionBuddy.AkoshaSync.Consumers;

/// <summary>sync_to_akosha: every waiting item becomes due now (with scope all, dead letters are replayed first) and the pusher is woken.</summary>
public sealed class SyncToAkoshaConsumer(PushQueueStore queue, PushSignal signal, IOptions<AkoshaOptions> options) : IConsumer<SyncToAkosha>
{
    public Task Consume(ConsumeContext<SyncToAkosha> context) => context.RespondWithAsync(async () =>
    {
        var ct = context.CancellationToken;
        var scope = string.IsNullOrWhiteSpace(context.Message.Scope) ? AkoshaSyncScopes.Pending : context.Message.Scope.Trim().ToLowerInvariant();
        if (!AkoshaSyncScopes.Values.Contains(scope))
        {
            throw RequestRejectedException.InvalidArgument("scope", $"'{context.Message.Scope}' is not a scope; use {string.Join(" or ", AkoshaSyncScopes.Values)}");
        }
        var replayed = scope == AkoshaSyncScopes.All ? (await queue.ReplayAsync(null, ct)).Replayed : 0;
        var due = await queue.MakeDueAsync(ct);
        signal.Notify();
        return new AkoshaSyncRequested(scope, due, replayed, await queue.StatusAsync(options.Value, ct));
    });
}
