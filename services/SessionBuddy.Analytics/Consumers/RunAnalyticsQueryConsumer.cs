using SessionBuddy.Analytics.Reports;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class RunAnalyticsQueryConsumer(AnalyticsQueryCatalog queries) : IConsumer<RunAnalyticsQuery>
{
    public Task Consume(ConsumeContext<RunAnalyticsQuery> context) => context.RespondWithAsync(() =>
        queries.RunAsync(context.Message.QueryName, context.Message.Parameters, context.CancellationToken));
}
