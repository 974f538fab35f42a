using ModelContextProtocol.Protocol;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Gateway.Resources;

/// <summary>
/// resources/list (the documents of the newest sessions, a page of sessions at a time with the Sessions
/// service's own cursor) and completion/complete for the arguments of prompts and resource templates
/// (session ids and projects).
/// </summary>
public sealed class SessionResourceDirectory(ServiceRequests requests)
{
    private const int SessionsPerPage = 25;
    private const int MaxCompletions = 100;

    public async ValueTask<ListResourcesResult> ListAsync(RequestContext<ListResourcesRequestParams> request, CancellationToken cancellationToken)
    {
        var page = await requests.SendAsync<ListSessions, SessionPage>(
            new ListSessions(null, null, SessionsPerPage, request.Params?.Cursor), cancellationToken);
        return new ListResourcesResult
        {
            Resources = [.. page.Sessions.SelectMany(Describe)],
            NextCursor = page.NextCursor,
        };
    }

    public async ValueTask<CompleteResult> CompleteAsync(RequestContext<CompleteRequestParams> request, CancellationToken cancellationToken)
    {
        var argument = request.Params?.Argument;
        var prefix = argument?.Value ?? "";
        IEnumerable<string> candidates = argument?.Name switch
        {
            "session_id" => (await RecentSessionsAsync(cancellationToken)).Select(s => s.Id.ToString()),
            "project" => (await RecentSessionsAsync(cancellationToken)).Select(s => s.Project).OfType<string>(),
            "format" => ["json", "markdown"],
            _ => [],
        };
        var matches = candidates.Distinct().Where(c => c.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return new CompleteResult
        {
            Completion = new Completion { Values = [.. matches.Take(MaxCompletions)], Total = matches.Count, HasMore = matches.Count > MaxCompletions },
        };
    }

    private async Task<IReadOnlyList<SessionDetails>> RecentSessionsAsync(CancellationToken cancellationToken) =>
        (await requests.SendAsync<ListSessions, SessionPage>(new ListSessions(null, null, MaxCompletions, null), cancellationToken)).Sessions;

    private static IEnumerable<Resource> Describe(SessionDetails session)
    {
        var label = $"{session.Name} ({session.Status})";
        if (session.Status == SessionStatuses.Completed)
        {
            yield return new Resource { Uri = SessionResources.HandoffUri(session.Id), Name = $"handoff: {label}", MimeType = "text/markdown" };
        }
        yield return new Resource { Uri = SessionResources.LogUri(session.Id), Name = $"log: {label}", MimeType = "text/plain" };
        yield return new Resource { Uri = SessionResources.ExportUri(session.Id, "markdown"), Name = $"export: {label}", MimeType = "text/markdown" };
        yield return new Resource { Uri = SessionResources.ExportUri(session.Id, "json"), Name = $"export (json): {label}", MimeType = "application/json" };
    }
}
