using SessionBuddy.Analytics.Reports;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class GetWorkflowMetricsConsumer(ActivityReports reports) : IConsumer<GetWorkflowMetrics>
{
    public Task Consume(ConsumeContext<GetWorkflowMetrics> context) => context.RespondWithAsync(() =>
        reports.WorkflowsAsync(context.Message.Project, context.Message.DaysBack, context.CancellationToken));
}
