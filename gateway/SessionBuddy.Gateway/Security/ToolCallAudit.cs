using System.Text.Json;
using MassTransit;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.Gateway.Security;

/// <summary>Where audit entries go: the gateway's log and the Analytics service's audit log (get_audit_log).</summary>
public interface IAuditTrail
{
    Task RecordAsync(ToolCallAudited entry);
}

/// <summary>
/// Audits every call of a tool that needs more than the read scope, refused ones included: subject, tool,
/// project or session, outcome and time; never arguments. The entry is stored (confirmed by the broker) before
/// the caller gets the result; when it cannot be, the caller gets an error saying so instead of the result.
/// </summary>
public static class ToolCallAudit
{
    /// <summary>Set in a request's Items by <see cref="ToolAuthorization"/> when it refuses the call.</summary>
    public const string DeniedItem = "sessionbuddy.denied";

    /// <summary>Set in a request's Items by <see cref="ToolAuthorization"/> when it looked up the project of the call's session.</summary>
    public const string SessionProjectItem = "sessionbuddy.session-project";

    private static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";

    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) => async (request, cancellationToken) =>
    {
        var trail = request.Services!.GetService<IAuditTrail>();
        if (trail is null || request.Params is not { } call
            || request.Services!.GetRequiredService<ToolRuleTable>().Find(call.Name) is not { } rule || rule.Scope == ToolScope.Read)
        {
            return await next(request, cancellationToken);
        }
        // Read before the call: the tool renames the arguments to its parameter names (session_id -> sessionId).
        var sessionId = Guid.TryParse(Text(call, ToolAuthorization.SessionArgument), out var id) ? id : (Guid?)null;
        CallToolResult result;
        try
        {
            result = await next(request, cancellationToken);
        }
        catch (Exception exception)
        {
            var failed = exception is McpException ? AuditOutcomes.ToolError : AuditOutcomes.Failed;
            if (await RecordAsync(trail, request, call, sessionId, failed) is { } unrecorded)
            {
                throw new McpException(unrecorded, exception);
            }
            throw;
        }
        var outcome = request.Items.ContainsKey(DeniedItem) ? AuditOutcomes.Denied
            : result.IsError == true ? AuditOutcomes.ToolError : AuditOutcomes.Ok;
        // The caller sees the result only once the entry is stored (the broker confirmed it): never an answered,
        // unaudited call.
        return await RecordAsync(trail, request, call, sessionId, outcome) is { } problem
            ? new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = problem }] }
            : result;
    };

    /// <summary>Records the entry; null once stored, otherwise what to tell the caller instead of the result.</summary>
    private static async Task<string?> RecordAsync(
        IAuditTrail trail, RequestContext<CallToolRequestParams> request, CallToolRequestParams call, Guid? sessionId, string outcome)
    {
        // The project is read afterwards: authorization fills in a limited token's own (the name is the same in both spellings),
        // and for a session's tool it looked up the session's project.
        var project = Text(call, ToolAuthorization.ProjectArgument)
            ?? (request.Items.TryGetValue(SessionProjectItem, out var sessionProject) ? sessionProject as string : null);
        var entry = new ToolCallAudited(NewId.NextGuid(), DateTimeOffset.UtcNow, Subject(request), call.Name,
            project, sessionId, outcome, Instance);
        try
        {
            await trail.RecordAsync(entry);
            return null;
        }
        catch (AuditUnavailableException exception)
        {
            return $"Audit log unavailable: {call.Name} was carried out (outcome: {outcome}) but its audit entry could not be stored " +
                $"({exception.Message}), so its result is withheld. Do not simply repeat a write; check the message broker " +
                $"(audit id {entry.AuditId} is in the gateway's log).";
        }
    }

    private static string Subject(RequestContext<CallToolRequestParams> request)
    {
        var caller = Caller.From(request.User);
        return caller.IsOpen
            ? $"{caller.Subject}@{request.Services!.GetService<IHttpContextAccessor>()?.HttpContext?.Connection.RemoteIpAddress}"
            : caller.Subject;
    }

    private static string? Text(CallToolRequestParams call, string argument) =>
        call.Arguments?.TryGetValue(argument, out var value) == true && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>An audit entry that could not be stored; the call's result must not reach the caller as if it were audited.</summary>
public sealed class AuditUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The bus audit entries are published on: the gateway's own connection to RabbitMQ, with publisher confirms (the
/// gateway's request bus has none, see AddServiceBus), so a publish completes only once the broker has the entry.
/// </summary>
public interface IAuditBus : IBus;

internal sealed partial class BusAuditTrail(IAuditBus bus, ILogger<BusAuditTrail> logger) : IAuditTrail
{
    /// <summary>How long a call waits for the broker's confirm before its result is withheld.</summary>
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(10);

    public async Task RecordAsync(ToolCallAudited entry)
    {
        LogAudited(entry.AuditId, entry.Subject, entry.Tool, entry.Project, entry.SessionId, entry.Outcome);
        using var timeout = new CancellationTokenSource(ConfirmTimeout);
        try
        {
            // Persistent, on a bus with publisher confirms: the publish completes when RabbitMQ has stored the entry
            // in the Analytics service's durable queue (or faults when it refuses it or the connection drops).
            await TraceTrimming.SendOutsideTraceAsync(() => bus.Publish(entry, context => context.Durable = true, timeout.Token));
        }
        catch (Exception exception)
        {
            LogPublishFailed(exception, entry.AuditId, entry.Subject, entry.Tool, entry.Project, entry.SessionId, entry.Outcome);
            throw new AuditUnavailableException(
                exception is OperationCanceledException ? $"the broker did not confirm it within {ConfirmTimeout.TotalSeconds:0} s" : exception.Message,
                exception);
        }
    }

    // Debug: the stored entry is the record (get_audit_log); the log keeps an entry the broker did not take (below).
    [LoggerMessage(LogLevel.Debug, "Audit {AuditId}: {Subject} called {Tool} (project {Project}, session {SessionId}): {Outcome}")]
    private partial void LogAudited(Guid auditId, string subject, string tool, string? project, Guid? sessionId, string outcome);

    [LoggerMessage(LogLevel.Error, "Audit entry {AuditId} was not confirmed by the broker; the call's result was withheld from the caller: " +
        "{Subject} called {Tool} (project {Project}, session {SessionId}): {Outcome}")]
    private partial void LogPublishFailed(Exception exception, Guid auditId, string subject, string tool, string? project, Guid? sessionId, string outcome);
}

public static class AuditTrailExtensions
{
    /// <summary>The audit trail on a bus of its own with publisher confirms (<see cref="IAuditBus"/>).</summary>
    public static IHostApplicationBuilder AddAuditTrail(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(SessionBuddy.Messaging.ServiceBusExtensions.ConnectionName)
            ?? throw new InvalidOperationException("Missing connection string 'messaging' for the audit trail");
        builder.Services.AddMassTransit<IAuditBus>(bus =>
        {
            bus.DisableUsageTelemetry();
            bus.UsingRabbitMq((_, rabbit) => rabbit.Host(new Uri(connectionString), host => host.PublisherConfirmation = true));
        });
        builder.Services.AddSingleton<IAuditTrail, BusAuditTrail>();
        // The entry is bookkeeping of the call, not part of what it did: its send and its storing stay out of the trace.
        builder.Services.AddUntracedMessage<ToolCallAudited>();
        return builder;
    }
}
