using SessionBuddy.Analytics.Reports;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Consumers;

public sealed class ExportAnalyticsConsumer(AnalyticsExporter exporter) : IConsumer<ExportAnalytics>
{
    public Task Consume(ConsumeContext<ExportAnalytics> context) => context.RespondWithAsync(() =>
        exporter.ExportAsync(context.Message, context.CancellationToken));
}
