using SessionBuddy.Analytics.Projections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class GetAuditLogConsumer(AuditLogStore store) : IConsumer<GetAuditLog>
{
    public Task Consume(ConsumeContext<GetAuditLog> context) => context.RespondWithAsync(() =>
        store.ReadAsync(context.Message, context.CancellationToken));
}
