using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// sync_to_akosha and akosha_sync_status on instance A, with A's pusher waiting an hour between attempts of a refused
/// item: a refused item is counted failed while it waits; sync_to_akosha makes it due at once (so it is tried again
/// and dead-lettered well within the hour); after the hub is fixed, scope all replays the dead letter and it arrives.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SyncToAkoshaTests
{
    private static readonly Dictionary<string, string> SlowRetries = new()
    {
        ["Akosha__RetryBaseDelay"] = "01:00:00",
        ["Akosha__RetryMaxDelay"] = "02:00:00",
        ["Akosha__MaxAttempts"] = "2",
    };

    private static AkoshaInstances Instances => Suite.Instances;

    [Test]
    public async Task SyncSkipsTheBackoffOfARefusedItemAndScopeAllReplaysItsDeadLetterOnceTheHubTakesIt()
    {
        await Instances.RestartPusherAsync(SlowRetries);
        try
        {
            var word = PushToHubTests.Word();
            var before = await StatusAsync();
            var poison = Result(word, 0) with { Output = new string('x', AkoshaInstances.DefaultHubMaxResultBytes + 1000) };
            var healthy = Result(word, 1);
            await Instances.BusA.Publish(new PoolResultsCollected("pool-" + word, [poison, healthy], DateTimeOffset.UtcNow));

            // The healthy item is sent; the poison one was refused once and waits (an hour) for its next attempt.
            await PushToHubTests.EventuallyAsync(() => Instances.HubB.StoredResultsAsync("pool-" + word), n => n == 1);
            var waiting = await PushToHubTests.EventuallyAsync(StatusAsync, s => s.Failed == 1);
            Assert.That(waiting.Pending, Is.EqualTo(1), "the failed item is still pending");
            Assert.That(waiting.Sent, Is.EqualTo(before.Sent + 1), "the healthy item counts as sent");
            Assert.That(waiting.LastError, Does.Contain("HubMaxResultBytes"));
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.That(await AttemptsAsync(poison), Is.EqualTo(1), "not tried again before its backoff ends");
            Assert.That((await StatusAsync()).Failed, Is.EqualTo(1));

            // sync_to_akosha: due now. Tried a second time (Akosha:MaxAttempts 2) it is dead-lettered.
            var synced = await SyncAsync(null);
            Assert.That(synced.Scope, Is.EqualTo(AkoshaSyncScopes.Pending));
            Assert.That(synced.Due, Is.EqualTo(1));
            Assert.That(synced.Replayed, Is.Zero);
            Assert.That(synced.Status.Configured, Is.True);
            var letters = await PushToHubTests.EventuallyAsync(DeadLettersAsync, d => d.DeadLetters.Any(l => l.Summary.Contains(poison.TaskId.ToString())));
            Assert.That(letters.DeadLetters.Single(l => l.Summary.Contains(poison.TaskId.ToString())).Attempts, Is.EqualTo(2));
            var dead = await StatusAsync();
            Assert.That((dead.Pending, dead.Failed, dead.DeadLettered), Is.EqualTo((0L, 0L, before.DeadLettered + 1)));

            // The fix: the hub accepts larger results. sync_to_akosha scope all replays the dead letter and it arrives.
            await Instances.HubB.Hub.StopAsync();
            await Instances.HubB.StartHubAsync(maxResultBytes: 200_000);
            var all = await SyncAsync("ALL ");
            Assert.That(all.Scope, Is.EqualTo(AkoshaSyncScopes.All));
            Assert.That(all.Replayed, Is.EqualTo(1));
            Assert.That(all.Due, Is.EqualTo(1), "the replayed item is due");
            Assert.That(all.Status.DeadLettered, Is.EqualTo(before.DeadLettered));
            await PushToHubTests.EventuallyAsync(() => Instances.HubB.StoredResultsAsync("pool-" + word), n => n == 2);
            var after = await PushToHubTests.EventuallyAsync(StatusAsync, s => s.Pending == 0);
            Assert.That(after.Sent, Is.EqualTo(before.Sent + 2), "both sent, each once");
            Assert.That(after.LastSuccessAt, Is.GreaterThan(dead.LastSuccessAt!.Value));
            Assert.That((await DeadLettersAsync()).DeadLetters.Select(l => l.IdempotencyKey), Does.Not.Contain("task:" + poison.TaskId.ToString("N")));
        }
        finally
        {
            await Instances.HubB.Hub.StopAsync();
            await Instances.HubB.StartHubAsync(AkoshaInstances.DefaultHubMaxResultBytes);
            await Instances.RestartPusherAsync();
        }
    }

    [Test]
    public async Task ReplayWithoutIdsReplaysEveryDeadLetter()
    {
        var word = PushToHubTests.Word();
        var poison = Result(word, 0) with { Output = new string('y', AkoshaInstances.DefaultHubMaxResultBytes + 1000) };
        await Instances.BusA.Publish(new PoolResultsCollected("pool-" + word, [poison], DateTimeOffset.UtcNow));
        var letters = await PushToHubTests.EventuallyAsync(DeadLettersAsync, d => d.DeadLetters.Any(l => l.Summary.Contains(poison.TaskId.ToString())));
        Assert.That(letters.Total, Is.EqualTo(1), "this test's letter only");

        await Instances.HubB.Hub.StopAsync();
        await Instances.HubB.StartHubAsync(maxResultBytes: 200_000);
        try
        {
            var replayed = await AkoshaInstances.AskAsync<ReplayAkoshaDeadLetters, AkoshaReplayed>(Instances.BusA, new ReplayAkoshaDeadLetters());
            Assert.That(replayed.Replayed, Is.EqualTo(1));
            Assert.That(replayed.NotFound, Is.Empty);
            await PushToHubTests.EventuallyAsync(() => Instances.HubB.StoredResultsAsync("pool-" + word), n => n == 1);
            Assert.That((await DeadLettersAsync()).Total, Is.Zero);
        }
        finally
        {
            await Instances.HubB.Hub.StopAsync();
            await Instances.HubB.StartHubAsync(AkoshaInstances.DefaultHubMaxResultBytes);
        }
    }

    private static WorkerTaskCompleted Result(string word, int i) =>
        new("w-" + i, Guid.NewGuid(), "shell", $"echo {word} {i}", WorkerTaskStatuses.Completed, $"{word} output {i}", null, 0, 0.1,
            null, DateTimeOffset.UtcNow, "pool-" + word);

    private static Task<long> AttemptsAsync(WorkerTaskCompleted result) =>
        AkoshaInstances.ScalarAsync(Instances.PusherDatabase, "SELECT attempts FROM akosha_push_items WHERE idempotency_key = @key",
            ("key", "task:" + result.TaskId.ToString("N")));

    private static Task<AkoshaSyncRequested> SyncAsync(string? scope) =>
        AkoshaInstances.AskAsync<SyncToAkosha, AkoshaSyncRequested>(Instances.BusA, new SyncToAkosha(scope));

    private static Task<AkoshaSyncStatus> StatusAsync() =>
        AkoshaInstances.AskAsync<GetAkoshaSyncStatus, AkoshaSyncStatus>(Instances.BusA, new GetAkoshaSyncStatus());

    private static Task<AkoshaDeadLetters> DeadLettersAsync() =>
        AkoshaInstances.AskAsync<ListAkoshaDeadLetters, AkoshaDeadLetters>(Instances.BusA, new ListAkoshaDeadLetters(500));
}
