using System.Threading.Channels;
using ModelContextProtocol;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.Gateway.Progress;

/// <summary>
/// Waits for worker tasks the WorkerPool service accepted, without holding a bus request open for
/// minutes: the WorkerPool pushes each task's start and output lines (<see cref="TaskProgressed"/>)
/// and its end (<see cref="WorkerTaskCompleted"/>), and each is forwarded to the caller as an MCP
/// progress notification as it arrives. The final results are read once a task has ended.
/// </summary>
public sealed class TaskCompletionWatch(ServiceRequests requests, TaskEventHub hub)
{
    /// <summary>
    /// With no event for this long the tasks' state is read once: a safety net for events lost with a
    /// broker restart (progress is not persisted), not the way progress travels.
    /// </summary>
    private static readonly TimeSpan QuietRecheck = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<WorkerTaskResult>> WaitAsync(
        IReadOnlyList<WorkerTaskResult> accepted, CallerProgress? progress, CancellationToken cancellationToken)
    {
        var ids = accepted.Select(t => t.TaskId).ToList();
        // Tasks queue behind each other in a pool, so the whole batch may take several task timeouts.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(accepted.Max(t => t.TimeoutSeconds) * Math.Max(1, accepted.Count) + 60);
        var events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        using var following = hub.Follow(ids, events.Writer);
        // Read once after subscribing, so nothing that happened before is missed.
        var current = ids.ToDictionary(id => id, id => accepted.First(t => t.TaskId == id));
        await RefreshAsync(current, ids, cancellationToken);

        var seen = new Dictionary<Guid, (string Status, long Events)>();
        var progressValue = new ProgressValue();
        while (true)
        {
            var finished = current.Values.Count(IsFinal);
            foreach (var task in ids.Select(id => current[id]))
            {
                if (seen.TryGetValue(task.TaskId, out var before) && before.Status == task.Status && before.Events == task.ProgressEvents)
                {
                    continue;
                }
                seen[task.TaskId] = (task.Status, task.ProgressEvents);
                if (progress is not null && progressValue.Next(finished) is { } value)
                {
                    await progress.ReportAsync(new ProgressNotificationValue
                    {
                        Progress = value,
                        Total = ids.Count,
                        Message = $"task {task.TaskId} ({task.WorkerId}) {task.Status}" + (task.Progress is { } line && !IsFinal(task) ? ": " + line : ""),
                    }, cancellationToken);
                }
            }
            if (finished == ids.Count)
            {
                return [.. ids.Select(id => current[id])];
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new McpException($"the tasks did not finish in time; poll them with worker_task_status (task ids: {string.Join(", ", ids)})");
            }

            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(QuietRecheck);
            try
            {
                await events.Reader.WaitToReadAsync(quiet.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await RefreshAsync(current, [.. current.Values.Where(t => !IsFinal(t)).Select(t => t.TaskId)], cancellationToken);
                continue;
            }

            var ended = new List<Guid>();
            while (events.Reader.TryRead(out var taskEvent))
            {
                switch (taskEvent)
                {
                    case TaskProgressed p when !IsFinal(current[p.TaskId]) && p.Sequence >= current[p.TaskId].ProgressEvents:
                        current[p.TaskId] = current[p.TaskId] with
                        {
                            Status = p.Status,
                            WorkerId = p.WorkerId,
                            Progress = p.Line ?? current[p.TaskId].Progress,
                            ProgressEvents = p.Sequence,
                        };
                        break;
                    case WorkerTaskCompleted c:
                        ended.Add(c.TaskId);
                        break;
                }
            }
            await RefreshAsync(current, ended, cancellationToken);
        }
    }

    private async Task RefreshAsync(Dictionary<Guid, WorkerTaskResult> current, IReadOnlyList<Guid> taskIds, CancellationToken cancellationToken)
    {
        if (taskIds.Count == 0)
        {
            return;
        }
        foreach (var task in (await requests.SendAsync<GetTaskResults, TaskBatch>(new GetTaskResults(taskIds), cancellationToken)).Tasks)
        {
            current[task.TaskId] = task;
        }
    }

    private static bool IsFinal(WorkerTaskResult task) => WorkerTaskStatuses.Final.Contains(task.Status);

    /// <summary>
    /// MCP requires every notification's progress to exceed the previous one: the finished count, plus a
    /// thousandth for each update in between (at most 999 of them are reported per finished count).
    /// </summary>
    private sealed class ProgressValue
    {
        private const int MaxUpdates = 999;
        private int _finished = -1;
        private int _updates;

        /// <summary>The next value, or null when this finished count has used up its updates.</summary>
        public float? Next(int finished)
        {
            _updates = finished == _finished ? _updates + 1 : 0;
            _finished = finished;
            return _updates > MaxUpdates ? null : finished + _updates / 1000f;
        }
    }
}
