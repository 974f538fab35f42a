using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.Gateway.Progress;

/// <summary>
/// Progress notifications to the caller of one tool call, each sent before the tool goes on. The SDK's
/// IProgress is fire-and-forget, so its last notification can trail the result and be lost when a
/// stateless response ends; awaiting each one keeps them ordered before the result.
/// </summary>
public sealed class CallerProgress(RequestContext<CallToolRequestParams> request)
{
    public async Task ReportAsync(ProgressNotificationValue value, CancellationToken cancellationToken)
    {
        if (request.Params?.ProgressToken is { } token)
        {
            await request.Server.NotifyProgressAsync(token, value, cancellationToken: cancellationToken);
        }
    }
}
