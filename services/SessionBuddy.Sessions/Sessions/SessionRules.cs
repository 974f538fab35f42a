using System.Text.Json;
using SessionBuddy.Messaging;

namespace SessionBuddy.Sessions.Sessions;

/// <summary>Argument checks shared by the session commands; each failure names the argument and the fix.</summary>
public sealed class SessionRules(SessionsOptions options)
{
    public const int MaxPageSize = 100;

    public string Name(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw RequestRejectedException.InvalidArgument("name", "is required and must not be empty");
        }
        var trimmed = name.Trim();
        if (trimmed.Length > options.MaxNameLength)
        {
            throw RequestRejectedException.InvalidArgument("name", $"is {trimmed.Length} characters; the limit is {options.MaxNameLength}");
        }
        return trimmed;
    }

    public static string? Project(string? project)
    {
        if (project is null)
        {
            return null;
        }
        var trimmed = project.Trim();
        return trimmed.Length switch
        {
            0 => throw RequestRejectedException.InvalidArgument("project", "must not be empty when given"),
            > 200 => throw RequestRejectedException.InvalidArgument("project", "is longer than 200 characters"),
            _ => trimmed,
        };
    }

    public static string Status(string status) =>
        SessionStatuses.All.Contains(status)
            ? status
            : throw RequestRejectedException.InvalidArgument("status", $"'{status}' is not one of {string.Join(", ", SessionStatuses.All)}");

    /// <summary>
    /// The status flow: created → starting → running → completed | failed. Starting may be skipped
    /// (created → running), any non-final status may fail, a status may be set to itself, nothing
    /// goes backwards and completed/failed are final (only resume_session reopens a session).
    /// </summary>
    public static bool IsAllowedTransition(string from, string to) => from == to || (from, to) switch
    {
        (SessionStatuses.Created, SessionStatuses.Starting or SessionStatuses.Running or SessionStatuses.Failed) => true,
        (SessionStatuses.Starting, SessionStatuses.Running or SessionStatuses.Failed) => true,
        (SessionStatuses.Running, SessionStatuses.Completed or SessionStatuses.Failed) => true,
        _ => false,
    };

    public static void Transition(string from, string to)
    {
        if (!IsAllowedTransition(from, to))
        {
            throw RequestRejectedException.InvalidArgument("status", $"cannot change a {from} session to {to}; " +
                "the flow is created → starting → running → completed | failed (use resume_session to reopen a finished session)");
        }
    }

    public static string Role(string? role) =>
        role is not null && MessageRoles.All.Contains(role)
            ? role
            : throw RequestRejectedException.InvalidArgument("role", $"'{role}' is not one of {string.Join(", ", MessageRoles.All)}");

    public string Content(string? content)
    {
        if (string.IsNullOrEmpty(content))
        {
            throw RequestRejectedException.InvalidArgument("content", "is required and must not be empty");
        }
        if (content.Length > options.MaxMessageLength)
        {
            throw RequestRejectedException.InvalidArgument(
                "content", $"is {content.Length} characters; the limit is {options.MaxMessageLength} (Sessions:MaxMessageLength)");
        }
        return content;
    }

    public static string Metadata(JsonElement? metadata) => metadata switch
    {
        null => "{}",
        { ValueKind: JsonValueKind.Object } value => value.GetRawText(),
        { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => "{}",
        _ => throw RequestRejectedException.InvalidArgument("metadata", "must be a JSON object"),
    };

    public const int MaxLogTail = 10_000;

    /// <summary>session_log's tail: the last N lines, 100 when not given.</summary>
    public static int Tail(int? tail) => tail switch
    {
        null => 100,
        >= 1 and <= MaxLogTail => tail.Value,
        _ => throw RequestRejectedException.InvalidArgument("tail", $"must be between 1 and {MaxLogTail}, got {tail}"),
    };

    public static double OlderThanHours(double hours) =>
        double.IsFinite(hours) && hours >= 0 && hours <= 24 * 365 * 100
            ? hours
            : throw RequestRejectedException.InvalidArgument("older_than_hours", $"must be a number of hours from 0 up, got {hours}");

    public static int Limit(int limit) =>
        limit is >= 1 and <= MaxPageSize
            ? limit
            : throw RequestRejectedException.InvalidArgument("limit", $"must be between 1 and {MaxPageSize}, got {limit}");
}
