using System.Collections.Concurrent;
using ModelContextProtocol.Server;
using SessionBuddy.Gateway.Security;
using static SessionBuddy.Gateway.Security.ProjectRule;
using static SessionBuddy.Gateway.Security.ToolProfile;
using static SessionBuddy.Gateway.Security.ToolScope;

namespace SessionBuddy.Gateway.Tests;

/// <summary>What the secured test host's tools did, to check that a refused call changed nothing.</summary>
public sealed class NoteBook
{
    public ConcurrentQueue<string> Written { get; } = new();
    public ConcurrentQueue<string> ReadProjects { get; } = new();

    /// <summary>run_command "block" waits for this after setting <see cref="CommandStarted"/>.</summary>
    public TaskCompletionSource CommandGate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource CommandStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed record NoteResult(string Project, int Notes);

/// <summary>One tool per kind of rule, for the authorization tests.</summary>
[McpServerToolType]
public sealed class NoteTools(NoteBook notes)
{
    public static readonly IReadOnlyDictionary<string, ToolRule> Rules = new Dictionary<string, ToolRule>
    {
        ["ping"] = new(Read, None, Minimal),
        ["read_notes"] = new(Read, ProjectArgument, Minimal),
        ["write_note"] = new(Write, ProjectArgument, Standard),
        ["run_command"] = new(Execute, AllProjects, Full, RunsWorkers: true),
        ["purge_notes"] = new(Admin, AllProjects, Full),
    };

    [McpServerTool(Name = "ping"), System.ComponentModel.Description("Answers pong.")]
    public static string Ping() => "pong";

    [McpServerTool(Name = "read_notes", UseStructuredContent = true), System.ComponentModel.Description("Reads a project's notes.")]
    public NoteResult ReadNotes(string? project = null)
    {
        notes.ReadProjects.Enqueue(project ?? "(all)");
        return new NoteResult(project ?? "(all)", notes.Written.Count);
    }

    [McpServerTool(Name = "write_note", UseStructuredContent = true), System.ComponentModel.Description("Writes a note.")]
    public NoteResult WriteNote(string text, string? project = null)
    {
        notes.Written.Enqueue($"{project}:{text}");
        return new NoteResult(project ?? "(all)", notes.Written.Count);
    }

    [McpServerTool(Name = "run_command"), System.ComponentModel.Description("Pretends to run a command.")]
    public async Task<string> RunCommand(string command)
    {
        notes.Written.Enqueue("command:" + command);
        if (command == "block")
        {
            notes.CommandStarted.TrySetResult();
            await notes.CommandGate.Task;
        }
        return "ran " + command;
    }

    [McpServerTool(Name = "purge_notes"), System.ComponentModel.Description("Deletes every note.")]
    public string PurgeNotes()
    {
        notes.Written.Clear();
        return "purged";
    }
}
