using System.Text.Json;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.ServiceDefaults.Messaging;

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

    public static int Limit(int limit) =>
        limit is >= 1 and <= MaxPageSize
            ? limit
            : throw RequestRejectedException.InvalidArgument("limit", $"must be between 1 and {MaxPageSize}, got {limit}");
}
