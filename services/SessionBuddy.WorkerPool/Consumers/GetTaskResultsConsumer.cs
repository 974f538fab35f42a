using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Tasks;

namespace SessionBuddy.WorkerPool.Consumers;

public sealed class GetTaskResultsConsumer(TaskStore tasks) : IConsumer<GetTaskResults>
{
    public Task Consume(ConsumeContext<GetTaskResults> context) => context.RespondWithAsync(async () =>
    {
        var ids = context.Message.TaskIds;
        if (ids.Count == 0 || ids.Count > 1000)
        {
            throw RequestRejectedException.InvalidArgument("task_ids", $"give 1..1000 task ids, got {ids.Count}");
        }
        return new TaskBatch(await tasks.GetAsync(ids, context.CancellationToken));
    });
}
