namespace SessionBuddy.Contracts.Memory;

/// <summary>
/// A reflection or memory was stored (not a de-duplicated repeat). Published through the Memory service's outbox;
/// <see cref="Category"/> is reflection for store_reflection, else the memory's category (worker_execution, ...).
/// <see cref="Content"/> and <see cref="Tags"/> are filled for category reflection only (what AkoshaSync forwards with
/// Akosha:ForwardReflections); other memories' events leave them null, their content travels in their own events.
/// </summary>
public sealed record ReflectionAdded(
    Guid ReflectionId, string? Project, string Category, string? SessionId, DateTimeOffset CreatedAt,
    string? Content = null, IReadOnlyList<string>? Tags = null);
