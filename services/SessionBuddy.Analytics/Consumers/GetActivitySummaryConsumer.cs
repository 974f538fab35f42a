using SessionBuddy.Analytics.Reports;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class GetActivitySummaryConsumer(ActivityReports reports) : IConsumer<GetActivitySummary>
{
    public Task Consume(ConsumeContext<GetActivitySummary> context) => context.RespondWithAsync(() =>
        reports.SummaryAsync(context.Message.Hours, context.CancellationToken));
}
