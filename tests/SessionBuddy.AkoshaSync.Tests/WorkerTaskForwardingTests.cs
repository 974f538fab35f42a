using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// Akosha:ForwardWorkerTasks: with it on, a worker task is pushed as it completes, and the same task arriving again
/// with its pool's results ends as one row on the hub; with it off (the default) a finished task waits for its pool.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WorkerTaskForwardingTests
{
    private static AkoshaInstances Instances => Suite.Instances;

    [Test]
    public async Task WithForwardingOnATaskIsPushedAsItCompletesAndOnceThoughItsPoolBringsItAgain()
    {
        await Instances.RestartPusherAsync(new Dictionary<string, string> { ["Akosha__ForwardWorkerTasks"] = "true" });
        try
        {
            var word = PushToHubTests.Word();
            var pool = "pool-" + word;
            var early = Result(word, 0);
            await Instances.BusA.Publish(early);
            await PushToHubTests.EventuallyAsync(() => Instances.HubB.StoredResultsAsync(pool), n => n == 1);
            Assert.That(await HubRowsAsync(early), Is.EqualTo(1), "pushed as it completed, before its pool shut down");

            var late = Result(word, 1);
            await Instances.BusA.Publish(new PoolResultsCollected(pool, [early, late], DateTimeOffset.UtcNow));
            await PushToHubTests.EventuallyAsync(() => Instances.HubB.StoredResultsAsync(pool), n => n == 2);
            // Give a second copy of the early task the time the late one took to arrive.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.That(await Instances.HubB.StoredResultsAsync(pool), Is.EqualTo(2));
            Assert.That(await HubRowsAsync(early), Is.EqualTo(1), "one row on the hub for the task pushed twice");
            Assert.That(await QueuedAsync(early), Is.EqualTo(1), "and one item in A's queue");
        }
        finally
        {
            await Instances.RestartPusherAsync();
        }
    }

    [Test]
    public async Task WithForwardingOffAFinishedTaskWaitsForItsPool()
    {
        var word = PushToHubTests.Word();
        var task = Result(word, 0);
        await Instances.BusA.Publish(task);

        // A pool result published after it arrives on the hub: A's AkoshaSync has been consuming and pushing.
        var marker = Result(word, 1) with { PoolId = "marker-" + word };
        await Instances.BusA.Publish(new PoolResultsCollected("marker-" + word, [marker], DateTimeOffset.UtcNow));
        await PushToHubTests.EventuallyAsync(() => Instances.HubB.StoredResultsAsync("marker-" + word), n => n == 1);
        // Worker tasks are consumed in batches; give the task time to have been queued if it were to be.
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.That(await QueuedAsync(task), Is.Zero, "nothing queued on A");
        Assert.That(await HubRowsAsync(task), Is.Zero);
    }

    private static WorkerTaskCompleted Result(string word, int i) =>
        new("w-" + i, Guid.NewGuid(), "shell", $"echo {word} {i}", WorkerTaskStatuses.Completed, $"{word} output {i}", null, 0, 0.1,
            null, DateTimeOffset.UtcNow, "pool-" + word);

    private static Task<long> HubRowsAsync(WorkerTaskCompleted result) =>
        AkoshaInstances.ScalarAsync(Instances.HubB.HubDatabase,
            "SELECT count(*) FROM akosha_hub_results WHERE system_id = @system AND idempotency_key = @key",
            ("system", AkoshaInstances.SystemA), ("key", "task:" + result.TaskId.ToString("N")));

    private static Task<long> QueuedAsync(WorkerTaskCompleted result) =>
        AkoshaInstances.ScalarAsync(Instances.PusherDatabase, "SELECT count(*) FROM akosha_push_items WHERE idempotency_key = @key",
            ("key", "task:" + result.TaskId.ToString("N")));
}
