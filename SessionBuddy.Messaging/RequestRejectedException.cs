using SessionBuddy.Contracts;

namespace SessionBuddy.Messaging;

/// <summary>
/// Thrown by service code to refuse a request; <see cref="RequestReplies.RespondWithAsync{TResult}"/> turns
/// it into a <see cref="RequestRejected"/> reply, so consumers stay linear and nothing half-done is committed.
/// </summary>
public sealed class RequestRejectedException(RequestRejected rejection) : Exception(rejection.Message)
{
    public RequestRejected Rejection { get; } = rejection;

    public static RequestRejectedException InvalidArgument(string argument, string message) =>
        new(RequestRejected.InvalidArgument(argument, message));

    public static RequestRejectedException NotFound(string argument, string message) =>
        new(RequestRejected.NotFound(argument, message));
}
