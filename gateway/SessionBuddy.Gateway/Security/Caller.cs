using System.Security.Claims;

namespace SessionBuddy.Gateway.Security;

/// <summary>
/// Who is calling and what the token allows: scopes from the <c>scope</c>/<c>scp</c> claims or roles,
/// projects from the <c>projects</c>/<c>project</c> claims (none: every project). Without
/// authentication (open loopback mode) the caller may do everything.
/// </summary>
public sealed class Caller
{
    public static readonly Caller Open = new("anonymous", new HashSet<string>(StringComparer.Ordinal), null, isOpen: true);

    private static readonly char[] Separators = [' ', ','];

    private readonly IReadOnlySet<string> _scopes;

    private Caller(string subject, IReadOnlySet<string> scopes, IReadOnlyList<string>? projects, bool isOpen)
    {
        Subject = subject;
        _scopes = scopes;
        Projects = projects;
        IsOpen = isOpen;
    }

    public string Subject { get; }

    /// <summary>The projects the token is limited to; null when it is not limited.</summary>
    public IReadOnlyList<string>? Projects { get; }

    public bool IsOpen { get; }

    public static Caller From(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return Open;
        }
        var scopes = Values(user, "scope", "scp", "roles", "role", ClaimTypes.Role).ToHashSet(StringComparer.Ordinal);
        string[] projects = [.. Values(user, "projects", "project").Distinct(StringComparer.Ordinal)];
        var subject = user.FindFirst("sub")?.Value ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "unknown";
        return new Caller(subject, scopes, projects.Length == 0 ? null : projects, isOpen: false);
    }

    public bool Has(ToolScope scope) => IsOpen || _scopes.Contains(ScopeName(scope));

    public bool MayAccess(string? project) => Projects is null || (project is not null && Projects.Contains(project, StringComparer.Ordinal));

    /// <summary>Whether the tool may be called at all (it is listed): the scope, and no cross-project tool for a limited token.</summary>
    public bool MayCall(ToolRule rule) => Has(rule.Scope) && (Projects is null || rule.Projects != ProjectRule.AllProjects);

    public string DescribeScopes() => IsOpen ? "all" : _scopes.Count == 0 ? "none" : string.Join(", ", _scopes.Order(StringComparer.Ordinal));

    public string DescribeProjects() => Projects is null ? "all projects" : string.Join(", ", Projects);

    public static string ScopeName(ToolScope scope) => scope.ToString().ToLowerInvariant();

    private static IEnumerable<string> Values(ClaimsPrincipal user, params string[] types) =>
        user.Claims.Where(c => types.Contains(c.Type, StringComparer.Ordinal))
            .SelectMany(c => c.Value.Split(Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
