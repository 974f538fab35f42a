using ModelContextProtocol;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Gateway.Messaging;

namespace SessionBuddy.Gateway.Progress;

/// <summary>
/// Waits for worker tasks the WorkerPool service accepted, without holding a bus request open for
/// minutes: it polls their state (briefly at first, then every 500 ms) and forwards each new
/// progress line and each finished task to the caller as an MCP progress notification.
/// </summary>
public sealed class TaskCompletionWatch(ServiceRequests requests)
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(500);

    public async Task<IReadOnlyList<WorkerTaskResult>> WaitAsync(
        IReadOnlyList<WorkerTaskResult> accepted, CallerProgress? progress, CancellationToken cancellationToken)
    {
        var ids = accepted.Select(t => t.TaskId).ToList();
        // Tasks queue behind each other in a pool, so the whole batch may take several task timeouts.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(accepted.Max(t => t.TimeoutSeconds) * Math.Max(1, accepted.Count) + 60);
        var seen = new Dictionary<Guid, (string Status, long Events)>();
        var interval = TimeSpan.FromMilliseconds(10);
        IReadOnlyList<WorkerTaskResult> current = accepted;
        var progressValue = new ProgressValue();
        while (true)
        {
            var finished = current.Count(t => WorkerTaskStatuses.Final.Contains(t.Status));
            foreach (var task in current)
            {
                if (seen.TryGetValue(task.TaskId, out var before) && before.Status == task.Status && before.Events == task.ProgressEvents)
                {
                    continue;
                }
                seen[task.TaskId] = (task.Status, task.ProgressEvents);
                if (progress is null || progressValue.Next(finished) is not { } value)
                {
                    continue;
                }
                await progress.ReportAsync(new ProgressNotificationValue
                {
                    Progress = value,
                    Total = current.Count,
                    Message = $"task {task.TaskId} ({task.WorkerId}) {task.Status}" + (task.Progress is { } line && !WorkerTaskStatuses.Final.Contains(task.Status) ? ": " + line : ""),
                }, cancellationToken);
            }
            if (finished == current.Count)
            {
                return current;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new McpException($"the tasks did not finish in time; poll them with worker_status or pool_status (task ids: {string.Join(", ", ids)})");
            }
            await Task.Delay(interval, cancellationToken);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxInterval.Ticks));
            // A finished task does not change again: only the unfinished ones are asked for.
            var unfinished = current.Where(t => !WorkerTaskStatuses.Final.Contains(t.Status)).Select(t => t.TaskId).ToList();
            var latest = (await requests.SendAsync<GetTaskResults, TaskBatch>(new GetTaskResults(unfinished), cancellationToken)).Tasks
                .ToDictionary(t => t.TaskId);
            current = [.. current.Select(t => latest.GetValueOrDefault(t.TaskId, t))];
        }
    }

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
