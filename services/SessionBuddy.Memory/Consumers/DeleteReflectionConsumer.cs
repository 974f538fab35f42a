using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>delete_reflection: an unknown id is reported, not silently accepted.</summary>
public sealed class DeleteReflectionConsumer(ReflectionStore store, MemoryAccess access) : IConsumer<DeleteReflection>
{
    public Task Consume(ConsumeContext<DeleteReflection> context) => context.RespondWithAsync(async () =>
    {
        var id = context.Message.ReflectionId;
        if (id == Guid.Empty)
        {
            throw RequestRejectedException.InvalidArgument("id", "must be a reflection id returned by store_reflection");
        }
        if (!await store.DeleteAsync(id, context.CancellationToken))
        {
            // An id merged away by optimisation still answers where its content went.
            var message = await access.MergedIntoAsync(id, context.CancellationToken) is { } survivor
                ? $"reflection {id} was merged into {survivor} by memory optimisation (its content is under that one's metadata.merged_from); delete {survivor} instead"
                : $"no reflection {id}";
            throw RequestRejectedException.NotFound("id", message);
        }
        return new DeleteReflectionReply(id, true);
    });
}
