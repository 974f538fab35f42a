using MassTransit;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Optimization;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>get_memory_health.</summary>
public sealed class GetMemoryHealthConsumer(MemoryHealthReader health) : IConsumer<GetMemoryHealth>
{
    public Task Consume(ConsumeContext<GetMemoryHealth> context) =>
        context.RespondWithAsync(() =>
        {
            if (ReflectionRequestValidation.CheckName("project", context.Message.Project, ReflectionLimits.MaxProjectLength, out var project) is { } rejected)
            {
                throw new RequestRejectedException(rejected);
            }
            return health.ReadAsync(project, context.CancellationToken);
        });
}
