namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// What of a memory is embedded: its content, except a worker execution's closing line of identifiers
/// (task id, duration). Those make every run's text unique without adding meaning: embedded, they cost the
/// model a few dozen word pieces per run and make identical runs (the same command with the same outcome)
/// embed apart. They stay in the content, so keyword search still finds a task by its id. Stores and
/// re-embedding both go through here, so a memory's vector never depends on which of them made it.
/// </summary>
public static class EmbeddedText
{
    /// <summary>The prefix of a worker execution's last line: <c>Run: task {id}, {seconds} s</c>.</summary>
    public const string WorkerRunLine = "Run: ";

    public static string Of(string category, string content)
    {
        if (category != MemoryCategories.WorkerExecution)
        {
            return content;
        }
        var end = content.AsSpan().TrimEnd();
        var lastLine = end.LastIndexOf('\n');
        return lastLine >= 0 && end[(lastLine + 1)..].StartsWith(WorkerRunLine, StringComparison.Ordinal)
            ? content[..lastLine].TrimEnd()
            : content;
    }
}
