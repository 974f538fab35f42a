using SessionBuddy.Analytics.Reports;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class GetInsightsConsumer(InsightRules rules) : IConsumer<GetInsights>
{
    public Task Consume(ConsumeContext<GetInsights> context) => context.RespondWithAsync(() =>
        rules.EvaluateAsync(context.Message.Project, context.Message.Days, context.CancellationToken));
}
