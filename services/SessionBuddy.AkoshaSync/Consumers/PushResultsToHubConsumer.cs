using Microsoft.Extensions.Options;
using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Messaging;

namespace SessionBuddy.AkoshaSync.Consumers;

/// <summary>
/// akosha_push_results: results handed to this hub directly (as system_id, default this instance's own id), stored like
/// pushed ones: once per task, searchable through Memory. Only on a hub (Akosha:HubEnabled). The call's metadata is
/// not stored (the hub's rows hold the results as pushed; the tool's description says so).
/// </summary>
public sealed class PushResultsToHubConsumer(HubStore store, IOptions<AkoshaOptions> options) : IConsumer<PushResultsToHub>
{
    public Task Consume(ConsumeContext<PushResultsToHub> context) => context.RespondWithAsync(async () =>
    {
        var message = context.Message;
        if (!options.Value.HubEnabled)
        {
            throw RequestRejectedException.InvalidArgument("pool_id", "this instance is not an Akosha hub (Akosha:HubEnabled=false); push to the hub itself, or use sync_to_akosha here");
        }
        if (string.IsNullOrWhiteSpace(message.PoolId) || message.PoolId.Length > 200)
        {
            throw RequestRejectedException.InvalidArgument("pool_id", "is required (at most 200 characters)");
        }
        if (message.Results is not { Count: > 0 and <= HubWire.MaxBatchItems })
        {
            throw RequestRejectedException.InvalidArgument("results", $"1..{HubWire.MaxBatchItems} results are accepted per call");
        }
        var systemId = string.IsNullOrWhiteSpace(message.SystemId) ? options.Value.SystemId : message.SystemId.Trim();
        if (systemId.Length > HubWire.MaxSystemIdLength)
        {
            throw RequestRejectedException.InvalidArgument("system_id", $"at most {HubWire.MaxSystemIdLength} characters");
        }
        var outcomes = await store.StoreAsync(systemId, HubStore.ItemsFor(message.PoolId.Trim(), message.Results), context.CancellationToken);
        return new AkoshaResultsAccepted(systemId, message.PoolId.Trim(),
            outcomes.Count(o => o.Status == HubWire.Outcomes.Stored),
            outcomes.Count(o => o.Status == HubWire.Outcomes.Duplicate),
            [.. outcomes.Where(o => o.Status == HubWire.Outcomes.Rejected).Select(o => new AkoshaRejectedResult(o.IdempotencyKey, o.Error ?? "refused"))]);
    });
}
