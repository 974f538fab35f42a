using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;
using SessionBuddy.WorkerPool.Tasks;
using SessionBuddy.WorkerPool.Workers;

namespace SessionBuddy.WorkerPool.Consumers;

/// <summary>Spreads tasks over the active pools that have a healthy worker, in turn or to the least loaded.</summary>
public sealed class RouteTasksConsumer(PoolStore pools, TaskStore tasks, PoolRules rules, TaskDispatcher dispatcher, InstanceIdentity instance)
    : IConsumer<RouteTasks>
{
    public Task Consume(ConsumeContext<RouteTasks> context) => context.RespondWithAsync(async () =>
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        var strategy = PoolRules.Strategy(request.Strategy);
        var healthy = (await pools.ListAsync(null, ct))
            .Where(p => p.Status == PoolStatuses.Active && p.Workers.Any(w => w.Status is WorkerStatuses.Idle or WorkerStatuses.Busy))
            .ToList();
        if (healthy.Count == 0)
        {
            throw RequestRejectedException.InvalidArgument("tasks", "no active pool with a healthy worker; create one with pool_create");
        }
        var specs = rules.Tasks(request.Tasks, request.TimeoutSeconds, [.. healthy.SelectMany(p => p.WorkerTypes).Distinct()]);
        // A task that names a worker type goes only to pools that have one.
        var candidates = specs.Select(t => t.WorkerType is { } type ? healthy.Where(p => p.WorkerTypes.Contains(type)).ToList() : healthy).ToList();

        var assigned = new List<PoolDetails>(specs.Count);
        if (strategy == RoutingStrategies.RoundRobin)
        {
            var start = await pools.NextRouteOffsetAsync(specs.Count, ct);
            assigned.AddRange(candidates.Select((choices, i) => choices[(int)((start + i) % choices.Count)]));
        }
        else
        {
            var load = healthy.ToDictionary(p => p.PoolId, p => (double)(p.TasksPending + p.TasksRunning));
            foreach (var choices in candidates)
            {
                var target = choices.MinBy(p => load[p.PoolId] / p.MaxWorkers)!;
                load[target.PoolId]++;
                assigned.Add(target);
            }
        }

        var (created, fresh) = await tasks.CreateAsync(
            request.OperationId,
            [.. specs.Select((t, i) => new NewTask(
                assigned[i].PoolId, null, t.WorkerType ?? assigned[i].WorkerTypes[0], t.PromptOrCommand, t.TimeoutSeconds!.Value, t.WorkerType, t.Metadata))],
            instance.Id, ct);
        if (fresh)
        {
            foreach (var group in created.GroupBy(t => t.PoolId!))
            {
                dispatcher.Start([.. group], healthy.First(p => p.PoolId == group.Key).MaxWorkers);
            }
        }
        return new TaskBatch(created);
    });
}
