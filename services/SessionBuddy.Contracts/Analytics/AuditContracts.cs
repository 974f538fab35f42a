namespace SessionBuddy.Contracts.Analytics;

/// <summary>
/// A mutating tool call (or a refused one) as a gateway saw it, published before the caller gets the result.
/// Carries who, which tool, which project or session and the outcome; never the arguments, which may hold secrets.
/// </summary>
public sealed record ToolCallAudited(
    Guid AuditId,
    DateTimeOffset At,
    string Subject,
    string Tool,
    string? Project,
    Guid? SessionId,
    string Outcome,
    string Instance);

/// <summary>The newest audit entries first, optionally of one subject or tool, at or after an ISO 8601 time.</summary>
public sealed record GetAuditLog(int Limit, string? Subject, string? Tool, string? Since);

public sealed record AuditLog(IReadOnlyList<AuditEntry> Entries);

public sealed record AuditEntry(DateTimeOffset At, string Subject, string Tool, string? Project, Guid? SessionId, string Outcome, string Instance);

public static class AuditOutcomes
{
    public const string Ok = "ok";
    public const string ToolError = "tool_error";
    public const string Denied = "denied";
    public const string Failed = "failed";
}
