namespace SessionBuddy.Contracts;

/// <summary>
/// The reply a service sends instead of a result when it refuses a request. <see cref="Argument"/>
/// names the offending argument (snake_case, as the MCP client sent it) when there is one.
/// </summary>
public sealed record RequestRejected(string Code, string Message, string? Argument = null)
{
    public static RequestRejected InvalidArgument(string argument, string message) =>
        new(RejectionCodes.InvalidArgument, $"{argument}: {message}", argument);

    public static RequestRejected NotFound(string argument, string message) =>
        new(RejectionCodes.NotFound, $"{argument}: {message}", argument);
}

public static class RejectionCodes
{
    public const string InvalidArgument = "invalid_argument";
    public const string NotFound = "not_found";
    public const string Unavailable = "unavailable";
}
