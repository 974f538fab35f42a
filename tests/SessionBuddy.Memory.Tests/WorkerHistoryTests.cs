using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Memory.Consumers;
using SessionBuddy.Memory.IntegrationEvents.EventHandling;

namespace SessionBuddy.Memory.Tests;

/// <summary>WorkerTaskCompleted through MassTransit (in-memory transport) into worker_execution memories.</summary>
public class WorkerHistoryTests : MemoryBusTests
{
    private static WorkerTaskCompleted Task(string output) => new(
        "w1", Guid.NewGuid(), "shell", "make test", WorkerTaskStatuses.Completed, output, null, 0, 3.25, "repo", DateTimeOffset.UtcNow);

    [Test]
    public async Task The_same_message_twice_stores_one_memory_and_search_filters_by_type_and_status()
    {
        var completed = Task("all 42 quokka tests passed");
        var messageId = Guid.NewGuid();
        await _harness.Bus.Publish(completed, c => c.MessageId = messageId);
        await _harness.Bus.Publish(completed, c => c.MessageId = messageId);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_harness.Consumed.Select<WorkerTaskCompleted>().Count() < 2 && DateTime.UtcNow < deadline)
        {
            await System.Threading.Tasks.Task.Delay(50);
        }

        Assert.That(await _db.CountAsync("SELECT count(*) FROM reflections WHERE category = 'worker_execution' AND content LIKE '%quokka%'"), Is.EqualTo(1));

        var client = _harness.GetRequestClient<SearchWorkerHistory>();
        var found = await client.GetResponse<MemorySearchResults>(new SearchWorkerHistory("quokka tests", "shell", "completed"));
        Assert.That(found.Message.Results.Single().Metadata.GetProperty("task_id").GetGuid(), Is.EqualTo(completed.TaskId));
        var failedOnly = await client.GetResponse<MemorySearchResults>(new SearchWorkerHistory("quokka tests", Status: "failed"));
        Assert.That(failedOnly.Message.Results, Is.Empty);
    }

    [Test]
    public async Task Runs_of_the_same_command_with_the_same_outcome_share_a_vector_and_each_keeps_its_task_id()
    {
        var first = Task("wombat build ok") with { WorkerType = "container", PromptOrCommand = "cargo build", DurationSeconds = 1.5 };
        var second = first with { TaskId = Guid.NewGuid(), DurationSeconds = 7.25 };
        await _harness.Bus.Publish(first);
        await _harness.Bus.Publish(second);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await _db.CountAsync("SELECT count(*) FROM reflections WHERE content LIKE '%wombat%'") < 2 && DateTime.UtcNow < deadline)
        {
            await System.Threading.Tasks.Task.Delay(50);
        }

        Assert.That(await _db.CountAsync("SELECT count(DISTINCT embedding::text) FROM reflections WHERE content LIKE '%wombat%' AND embedding IS NOT NULL"), Is.EqualTo(1));
        var client = _harness.GetRequestClient<SearchWorkerHistory>();
        var byId = await client.GetResponse<MemorySearchResults>(new SearchWorkerHistory(second.TaskId.ToString(), "container"));
        var top = byId.Message.Results[0];
        Assert.That(top.Metadata.GetProperty("task_id").GetGuid(), Is.EqualTo(second.TaskId));
        Assert.That(top.Content, Does.Contain($"Run: task {second.TaskId}, 7.25 s"));
    }

    [Test]
    public void Huge_output_is_cut_to_the_content_limit_keeping_the_task()
    {
        var memory = WorkerExecutionMemoryHandler.ToMemory(Guid.NewGuid(), Task(new string('o', 200_000)) with { Error = new string('e', 100_000) }, 50_000);
        Assert.That(memory.Content.Length, Is.LessThanOrEqualTo(50_000));
        Assert.That(memory.Content, Does.Contain("make test").And.Contain("Error: e"));
        Assert.That(memory.Category, Is.EqualTo(MemoryCategories.WorkerExecution));
    }
}
