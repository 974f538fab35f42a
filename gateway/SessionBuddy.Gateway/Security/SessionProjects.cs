using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Gateway.Security;

/// <summary>The project a session belongs to, asked of the Sessions service (only for project-limited tokens).</summary>
public interface ISessionProjects
{
    /// <summary>The session's project (null when it has none); a tool error naming session_id when it does not exist.</summary>
    Task<string?> ProjectOfAsync(Guid sessionId, CancellationToken cancellationToken);
}

internal sealed class SessionProjects(ServiceRequests requests) : ISessionProjects
{
    public async Task<string?> ProjectOfAsync(Guid sessionId, CancellationToken cancellationToken) =>
        (await requests.SendAsync<GetSession, SessionDetails>(new GetSession(sessionId), cancellationToken)).Project;
}
