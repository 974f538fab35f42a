namespace SessionBuddy.Gateway.Security;

/// <summary>The scopes (or roles) a token carries; each tool needs exactly one of them.</summary>
public enum ToolScope
{
    Read,
    Write,
    /// <summary>Runs code: workers, pools, writes into session workspaces.</summary>
    Execute,
    /// <summary>Deletes, cleans up, registers backends, replays dead letters, re-embeds.</summary>
    Admin,
}

/// <summary>How a token's project claim applies to a tool.</summary>
public enum ProjectRule
{
    /// <summary>The tool touches no project data (health, process metrics).</summary>
    None,
    /// <summary>The tool takes a <c>project</c> argument: a limited token's project is filled in or checked.</summary>
    ProjectArgument,
    /// <summary>The tool takes a <c>session_id</c>: the session must belong to one of the token's projects.</summary>
    Session,
    /// <summary>The tool spans every project (knowledge graph, workers, global analytics): unlimited tokens only.</summary>
    AllProjects,
}

/// <summary>The tool sets configuration can select (Tools:Profile); each includes the smaller ones.</summary>
public enum ToolProfile
{
    Minimal,
    Standard,
    Full,
}

/// <summary>
/// What a tool needs: a scope, how projects limit it, and the smallest profile that includes it.
/// <paramref name="RunsWorkers"/> puts it under the worker concurrency limit.
/// </summary>
public sealed record ToolRule(ToolScope Scope, ProjectRule Projects, ToolProfile Profile, bool RunsWorkers = false);
