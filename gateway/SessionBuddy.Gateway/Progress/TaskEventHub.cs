using System.Collections.Concurrent;
using System.Threading.Channels;
using MassTransit;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.Gateway.Progress;

/// <summary>
/// Hands the WorkerPool's task events to the tool calls waiting on those tasks in this gateway process.
/// Every gateway replica receives every task event on a queue of its own (<see cref="TaskEventsConsumer"/>),
/// so a call is followed whichever replica it reached and whichever WorkerPool replica runs its tasks.
/// </summary>
public sealed class TaskEventHub
{
    private readonly ConcurrentDictionary<Guid, ChannelWriter<object>> _waiting = new();

    /// <summary>Routes the tasks' events to <paramref name="events"/> until the returned lease is disposed.</summary>
    public IDisposable Follow(IReadOnlyCollection<Guid> taskIds, ChannelWriter<object> events)
    {
        foreach (var id in taskIds)
        {
            _waiting[id] = events;
        }
        return new Lease(this, taskIds);
    }

    public void Deliver(Guid taskId, object taskEvent)
    {
        if (_waiting.TryGetValue(taskId, out var events))
        {
            events.TryWrite(taskEvent);
        }
    }

    private sealed class Lease(TaskEventHub hub, IReadOnlyCollection<Guid> taskIds) : IDisposable
    {
        public void Dispose()
        {
            foreach (var id in taskIds)
            {
                hub._waiting.TryRemove(id, out _);
            }
        }
    }
}

/// <summary>Task events for <see cref="TaskEventHub"/>, on a temporary queue per gateway process.</summary>
public sealed class TaskEventsConsumer(TaskEventHub hub) : IConsumer<TaskProgressed>, IConsumer<WorkerTaskCompleted>
{
    public Task Consume(ConsumeContext<TaskProgressed> context)
    {
        hub.Deliver(context.Message.TaskId, context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<WorkerTaskCompleted> context)
    {
        hub.Deliver(context.Message.TaskId, context.Message);
        return Task.CompletedTask;
    }
}
