using SessionBuddy.Analytics.Reports;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class GetPerformanceMetricsConsumer(PerformanceReport report) : IConsumer<GetPerformanceMetrics>
{
    public Task Consume(ConsumeContext<GetPerformanceMetrics> context) => context.RespondWithAsync(() =>
        report.ReadAsync(context.Message.Minutes, context.CancellationToken));
}
