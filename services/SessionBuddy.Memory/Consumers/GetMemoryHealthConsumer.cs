using SessionBuddy.Memory.Optimization;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>get_memory_health.</summary>
public sealed class GetMemoryHealthConsumer(MemoryHealthReader health) : IConsumer<GetMemoryHealth>
{
    public Task Consume(ConsumeContext<GetMemoryHealth> context) =>
        context.RespondWithAsync(() => health.ReadAsync(
            ReflectionRules.Name("project", context.Message.Project, ReflectionLimits.MaxProjectLength), context.CancellationToken));
}
