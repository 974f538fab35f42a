using SessionBuddy.Analytics.Reports;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class GetSessionAnalyticsConsumer(ActivityReports reports) : IConsumer<GetSessionAnalytics>
{
    public Task Consume(ConsumeContext<GetSessionAnalytics> context) => context.RespondWithAsync(() =>
        reports.SessionsAsync(context.Message.Limit, context.Message.SortBy, context.CancellationToken));
}
