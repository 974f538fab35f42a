using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Testing;
using SessionBuddy.Testing.Hosting;

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
}
