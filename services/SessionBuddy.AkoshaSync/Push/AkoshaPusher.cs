using Microsoft.Extensions.Options;
using Npgsql;
using Polly.CircuitBreaker;
using SessionBuddy.AkoshaSync.Hub;

namespace SessionBuddy.AkoshaSync.Push;

/// <summary>
/// Delivers the push queue to the hub in batches, oldest due first. The batch's rows stay locked in one
/// transaction until the hub's answer is recorded: a crash mid-request leaves them queued, and the hub answers
/// the re-send with duplicate. An unreachable hub costs the items nothing (the circuit breaker and this loop's
/// backoff wait it out); an item the hub refuses is retried with jittered exponential backoff and dead-lettered
/// after Akosha:MaxAttempts.
/// </summary>
public sealed partial class AkoshaPusher(
    NpgsqlDataSource dataSource,
    PushQueueStore queue,
    HubClient hub,
    PushSignal signal,
    IOptions<AkoshaOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<AkoshaPusher> logger) : BackgroundService
{
    private readonly string _pusher = $"{Environment.MachineName}:{Environment.ProcessId}";
    private string? _recordedCircuit;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Configured)
        {
            return;
        }
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);

        var unavailableRuns = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int pushed;
                do
                {
                    pushed = await PushBatchAsync(settings, stoppingToken);
                }
                while (pushed == settings.BatchSize);
                unavailableRuns = 0;
                await RecordCircuitChangeAsync(stoppingToken);
                await signal.WaitAsync(settings.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is HubUnavailableException or HttpRequestException or BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
            {
                unavailableRuns++;
                LogHubUnavailable(ex.Message, hub.CircuitState);
                await RecordAsync(null, ex.Message, stoppingToken);
                await Task.Delay(Backoff.Next(settings, unavailableRuns), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception ex)
            {
                LogPushFailed(ex);
                await Task.Delay(settings.PollInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <returns>How many items were in the batch (0: nothing due).</returns>
    private async Task<int> PushBatchAsync(AkoshaOptions settings, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var items = await PushQueueStore.ClaimAsync(connection, transaction, settings.BatchSize, ct);
        if (items.Count == 0)
        {
            await transaction.CommitAsync(ct);
            return 0;
        }

        var batch = new PushBatch(settings.SystemId, [.. items.Select(PushQueueStore.ToPushItem)]);
        var outcomes = (await hub.SendAsync(batch, ct)).ToDictionary(o => o.IdempotencyKey);

        var sent = new List<Guid>();
        var failed = new List<FailedItem>();
        foreach (var item in items)
        {
            if (outcomes.TryGetValue(item.IdempotencyKey, out var outcome) && outcome.Status is HubWire.Outcomes.Stored or HubWire.Outcomes.Duplicate)
            {
                sent.Add(item.Id);
            }
            else
            {
                failed.Add(new FailedItem(item.Id, outcome?.Error ?? "the hub's answer did not mention this item", Backoff.Next(settings, item.Attempts + 1)));
            }
        }
        await PushQueueStore.RecordOutcomeAsync(connection, transaction, sent, failed, settings.MaxAttempts, ct);
        await transaction.CommitAsync(ct);
        if (failed.Count > 0)
        {
            LogItemsRefused(failed.Count, items.Count, failed[0].Error);
        }
        await RecordAsync(DateTimeOffset.UtcNow, failed.Count > 0 ? failed[0].Error : null, ct);
        return items.Count;
    }

    private async Task RecordAsync(DateTimeOffset? successAt, string? error, CancellationToken ct)
    {
        try
        {
            _recordedCircuit = hub.CircuitState;
            await queue.RecordPusherAsync(_pusher, _recordedCircuit, successAt, error, ct);
        }
        catch (NpgsqlException ex)
        {
            // Status only; the queue itself is unaffected.
            LogStatusNotRecorded(ex.Message);
        }
    }

    private Task RecordCircuitChangeAsync(CancellationToken ct) =>
        hub.CircuitState == _recordedCircuit ? Task.CompletedTask : RecordAsync(null, null, ct);

    [LoggerMessage(LogLevel.Warning, "Akosha hub unavailable (circuit {Circuit}): {Reason}; items stay queued")]
    private partial void LogHubUnavailable(string reason, string circuit);

    [LoggerMessage(LogLevel.Warning, "Akosha hub refused {Refused} of {Count} items: {Error}")]
    private partial void LogItemsRefused(int refused, int count, string error);

    [LoggerMessage(LogLevel.Error, "Akosha push pass failed; retrying")]
    private partial void LogPushFailed(Exception exception);

    [LoggerMessage(LogLevel.Warning, "Akosha push status not recorded: {Reason}")]
    private partial void LogStatusNotRecorded(string reason);
}

/// <summary>Exponential backoff with full jitter in its upper half: base·2^(n-1), capped, times 0.5..1.</summary>
public static class Backoff
{
    public static TimeSpan Next(AkoshaOptions options, int attempt)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        var capped = Math.Min(options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exponent), options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
    }
}
