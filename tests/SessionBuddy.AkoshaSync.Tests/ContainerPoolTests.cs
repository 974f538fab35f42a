using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.LocalSystem;
using SessionBuddy.LocalSystem.Hosting;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// Container-native pools (seed 000 Phase 3): instance A's WorkerPool runs in "its container" with
/// WorkerPool:ShutdownPoolsOnStop; its container workers run through the fake docker CLI. When the WorkerPool
/// receives SIGTERM, the pool's results go to A's AkoshaSync and on to hub B, where they are searchable.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ContainerPoolTests
{
    [Test]
    public async Task AContainerPoolPushesItsResultsToTheHubWhenItsInstanceReceivesSigterm()
    {
        using var docker = new FakeDocker();
        var instances = Suite.Instances;
        var workerPool = new ProjectProcess(AkoshaHubFixture.Resource("workerpool-a", "workerpool"), FreePort.Allocate(), "workerpool-a");
        var workspaces = Directory.CreateTempSubdirectory("akosha-container-pool-").FullName;
        try
        {
            await instances.StartInstanceProcessAsync(workerPool, new Dictionary<string, string>
            {
                ["ConnectionStrings__workerpooldb"] = await instances.CreateDatabaseAAsync("workerpool_a"),
                ["Akosha__Endpoint"] = instances.HubB.Endpoint.ToString(),
                ["WorkerPool__ShutdownPoolsOnStop"] = "true",
                ["WorkerPool__CreateSessions"] = "false",
                ["WorkerPool__LocalWorkspaceRoot"] = workspaces,
                ["WorkerPool__WorkerTypes__container__Executable"] = docker.Executable,
                // The fake CLI lives in this root-owned temp folder, which the confined worker user cannot enter;
                // what this test checks is the push on SIGTERM, not confinement (WorkerPool.Tests covers that).
                ["WorkerPool__Confinement__Enabled"] = "false",
            });

            var word = PushToHubTests.Word();
            var poolId = "containers-" + word;
            await AkoshaInstances.AskAsync<CreatePool, PoolDetails>(instances.BusA, new CreatePool(Guid.NewGuid(), ["container"], poolId, 1));
            var started = await AkoshaInstances.AskAsync<ExecuteOnPool, TaskBatch>(instances.BusA,
                new ExecuteOnPool(Guid.NewGuid(), poolId, [new TaskSpec($"echo {word} from a container")], 60));
            var taskId = started.Tasks.Single().TaskId;
            var done = await PushToHubTests.EventuallyAsync(
                () => AkoshaInstances.AskAsync<GetTaskResults, TaskBatch>(instances.BusA, new GetTaskResults([taskId])),
                b => WorkerTaskStatuses.Final.Contains(b.Tasks.Single().Status));
            Assert.That(done.Tasks.Single().Status, Is.EqualTo(WorkerTaskStatuses.Completed), done.Tasks.Single().Error);
            Assert.That(docker.Calls, Has.Some.StartsWith("run --rm"), "the task ran through the docker CLI");
            Assert.That(await instances.HubB.StoredResultsAsync(poolId), Is.Zero, "nothing is pushed before the shutdown");

            await workerPool.StopAsync();
            Assert.That(workerPool.Process!.ExitCode, Is.Zero, "a graceful stop");

            await PushToHubTests.EventuallyAsync(() => instances.HubB.StoredResultsAsync(poolId), n => n == 1);
            var found = await PushToHubTests.EventuallyAsync(
                () => AkoshaInstances.AskAsync<SearchAkoshaResults, MemorySearchResults>(instances.BusB, new SearchAkoshaResults(word, AkoshaInstances.SystemA, ["container"])),
                r => r.Results.Any(m => m.Metadata.GetProperty("task_id").GetGuid() == taskId));
            Assert.That(found.Results.First(m => m.Metadata.GetProperty("task_id").GetGuid() == taskId).Content, Does.Contain($"{word} from a container"));
        }
        finally
        {
            await workerPool.StopAsync();
            workerPool.Dispose();
            Directory.Delete(workspaces, recursive: true);
        }
    }

    /// <summary>
    /// pool_shutdown on an instance with an Akosha endpoint answers what happened to the results: queued (and they do
    /// reach the hub), not_requested for push_to_akosha false (and nothing reaches it), already_shut_down the second time.
    /// </summary>
    [Test]
    public async Task PoolShutdownAnswersQueuedWhenItPushesAndNotRequestedWhenAskedNotTo()
    {
        var instances = Suite.Instances;
        var workerPool = new ProjectProcess(AkoshaHubFixture.Resource("workerpool-a", "workerpool"), FreePort.Allocate(), "workerpool-a");
        var workspaces = Directory.CreateTempSubdirectory("akosha-pool-shutdown-").FullName;
        try
        {
            await instances.StartInstanceProcessAsync(workerPool, new Dictionary<string, string>
            {
                ["ConnectionStrings__workerpooldb"] = await instances.CreateDatabaseAAsync("workerpool_shutdown_a"),
                ["Akosha__Endpoint"] = instances.HubB.Endpoint.ToString(),
                ["WorkerPool__CreateSessions"] = "false",
                ["WorkerPool__LocalWorkspaceRoot"] = workspaces,
                // The workspaces are in a root-owned temp folder the confined worker user cannot enter (WorkerPool.Tests covers confinement).
                ["WorkerPool__Confinement__Enabled"] = "false",
            });

            var word = PushToHubTests.Word();
            var pushed = await PoolWithOneFinishedTaskAsync(instances, "pushed-" + word, word);
            var kept = await PoolWithOneFinishedTaskAsync(instances, "kept-" + word, word);

            var queued = await AkoshaInstances.AskAsync<ShutdownPool, PoolShutdown>(instances.BusA, new ShutdownPool(pushed, PushToAkosha: true));
            Assert.That(queued.AkoshaPush, Is.EqualTo(AkoshaPushStates.Queued));
            Assert.That(queued.Results, Has.Count.EqualTo(1));
            var notRequested = await AkoshaInstances.AskAsync<ShutdownPool, PoolShutdown>(instances.BusA, new ShutdownPool(kept, PushToAkosha: false));
            Assert.That(notRequested.AkoshaPush, Is.EqualTo(AkoshaPushStates.NotRequested));
            Assert.That(notRequested.Results, Has.Count.EqualTo(1));
            var again = await AkoshaInstances.AskAsync<ShutdownPool, PoolShutdown>(instances.BusA, new ShutdownPool(pushed, PushToAkosha: true));
            Assert.That(again.AkoshaPush, Is.EqualTo(AkoshaPushStates.AlreadyShutDown));

            // queued means it: the results arrive on the hub (once, though the pool was shut down twice).
            await PushToHubTests.EventuallyAsync(() => instances.HubB.StoredResultsAsync(pushed), n => n == 1);
            var found = await PushToHubTests.EventuallyAsync(
                () => AkoshaInstances.AskAsync<SearchAkoshaResults, MemorySearchResults>(instances.BusB, new SearchAkoshaResults(word, AkoshaInstances.SystemA)),
                r => r.Results.Any(m => m.Metadata.GetProperty("pool_id").GetString() == pushed));
            Assert.That(found.Results.Where(m => m.Metadata.GetProperty("pool_id").GetString() == pushed).Select(m => m.Content), Has.Exactly(1).Contains(word));
            // Give the other pool's results, were they published, the time the first took to arrive.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.That(await instances.HubB.StoredResultsAsync(kept), Is.Zero, "not_requested: nothing pushed");
            Assert.That(await instances.HubB.StoredResultsAsync(pushed), Is.EqualTo(1));
        }
        finally
        {
            await workerPool.StopAsync();
            workerPool.Dispose();
            Directory.Delete(workspaces, recursive: true);
        }
    }

    private static async Task<string> PoolWithOneFinishedTaskAsync(AkoshaInstances instances, string poolId, string word)
    {
        await AkoshaInstances.AskAsync<CreatePool, PoolDetails>(instances.BusA, new CreatePool(Guid.NewGuid(), ["shell"], poolId, 1));
        var started = await AkoshaInstances.AskAsync<ExecuteOnPool, TaskBatch>(instances.BusA,
            new ExecuteOnPool(Guid.NewGuid(), poolId, [new TaskSpec($"echo {word} in {poolId}")], 60));
        var taskId = started.Tasks.Single().TaskId;
        var done = await PushToHubTests.EventuallyAsync(
            () => AkoshaInstances.AskAsync<GetTaskResults, TaskBatch>(instances.BusA, new GetTaskResults([taskId])),
            b => WorkerTaskStatuses.Final.Contains(b.Tasks.Single().Status));
        Assert.That(done.Tasks.Single().Status, Is.EqualTo(WorkerTaskStatuses.Completed), done.Tasks.Single().Error);
        return poolId;
    }
}
