using System.Text;
using ModelContextProtocol;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Gateway.Resources;

namespace SessionBuddy.Gateway.Prompts;

/// <summary>
/// Prompts a person picks from their client's menu; each returns instructions for the agent, filled in
/// with what SessionBuddy knows (the session's state, its handoff, the reflections relevant to a topic).
/// Parameter names are the prompt argument names.
/// </summary>
[McpServerPromptType]
public sealed class SessionPrompts(ServiceRequests requests, SessionResources resources)
{
    [McpServerPrompt(Name = "start_session")]
    [Description("Start tracking a development session for a working directory.")]
    public string StartSession(
        [Description("The directory the agent works in.")] string working_directory,
        [Description("Project the session belongs to.")] string? project = null) =>
        $"""
        Start a SessionBuddy session for this work: call the `start` tool with working_directory "{working_directory}"{(project is null ? "" : $" and project \"{project}\"")}.
        Keep its session_id. Log important messages with `add_message`, record progress with `checkpoint`,
        store lessons learned with `store_reflection`, and call `end` with a summary when you finish.
        """;

    [McpServerPrompt(Name = "checkpoint")]
    [Description("Record a checkpoint of a session: summarise the progress so far and call the checkpoint tool.")]
    public async Task<string> Checkpoint(
        [Description("Session id (UUID).")] string session_id,
        CancellationToken cancellationToken)
    {
        var status = await Send<GetSessionStatus, SessionStatusReport>(new GetSessionStatus(SessionResources.SessionId(session_id)), cancellationToken);
        return $"""
            Session "{status.Session.Name}" ({status.Session.Id}) is {status.Session.Status} with {status.Session.MessageCount} messages.
            Summarise in a few sentences what has been done since the last checkpoint and what comes next,
            then call the `checkpoint` tool with session_id "{status.Session.Id}" and that summary.
            """;
    }

    [McpServerPrompt(Name = "handoff")]
    [Description("Continue the work of an ended session from its handoff document.")]
    public async Task<string> Handoff(
        [Description("Session id (UUID).")] string session_id,
        CancellationToken cancellationToken)
    {
        var handoff = await resources.Handoff(session_id, cancellationToken);
        return $"""
            You are taking over the work of session {session_id}. Its handoff document follows; read it, then
            continue with its open items. Start a new session with the `start` tool first.

            {(handoff as ModelContextProtocol.Protocol.TextResourceContents)?.Text}
            """;
    }

    [McpServerPrompt(Name = "recall")]
    [Description("Recall what was learned about a topic: the most relevant stored reflections, ready to use as context.")]
    public async Task<string> Recall(
        [Description("What to recall, in words (a question or a topic).")] string topic,
        [Description("Only reflections of this project.")] string? project = null,
        CancellationToken cancellationToken = default)
    {
        var found = await Send<SearchReflections, ReflectionSearchResults>(new SearchReflections(topic, Limit: 5, Project: project), cancellationToken);
        if (found.Results.Count == 0)
        {
            return $"No stored reflections match \"{topic}\"{(project is null ? "" : $" in project {project}")}. Work it out, and store what you learn with `store_reflection`.";
        }
        var text = new StringBuilder($"What was learned before about \"{topic}\" (most relevant first):\n");
        foreach (var match in found.Results)
        {
            text.Append($"\n- {match.Content} (score {match.Score:0.000})");
        }
        text.Append("\n\nUse these as context; if one is wrong or outdated, say so.");
        return text.ToString();
    }

    private Task<TResult> Send<TRequest, TResult>(TRequest request, CancellationToken cancellationToken)
        where TRequest : class where TResult : class =>
        SessionResources.Read(() => requests.SendAsync<TRequest, TResult>(request, cancellationToken));
}
