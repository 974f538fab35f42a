using MassTransit;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Reflections;

namespace SessionBuddy.Memory.Consumers;

/// <summary>delete_reflection: an unknown id is reported, not silently accepted.</summary>
public sealed class DeleteReflectionConsumer(ReflectionStore store) : IConsumer<DeleteReflection>
{
    public async Task Consume(ConsumeContext<DeleteReflection> context)
    {
        var id = context.Message.ReflectionId;
        if (id == Guid.Empty)
        {
            await context.RespondAsync(RequestRejected.InvalidArgument("id", "must be a reflection id returned by store_reflection"));
            return;
        }
        if (!await store.DeleteAsync(id, context.CancellationToken))
        {
            await context.RespondAsync(RequestRejected.NotFound("id", $"no reflection {id}"));
            return;
        }
        await context.RespondAsync(new ReflectionDeleted(id, true));
    }
}
