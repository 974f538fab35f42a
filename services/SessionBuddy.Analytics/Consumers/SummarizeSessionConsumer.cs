using SessionBuddy.Analytics.Reports;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class SummarizeSessionConsumer(ActivityReports reports) : IConsumer<SummarizeSession>
{
    public Task Consume(ConsumeContext<SummarizeSession> context) => context.RespondWithAsync(() =>
        reports.SummarizeAsync(context.Message.SessionId, context.CancellationToken));
}
