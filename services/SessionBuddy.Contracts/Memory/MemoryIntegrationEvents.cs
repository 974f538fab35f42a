namespace SessionBuddy.Contracts.Memory;

/// <summary>
/// A reflection or memory was stored (not a de-duplicated repeat). Published through the Memory service's outbox;
/// <see cref="Category"/> is reflection for store_reflection, else the memory's category (worker_execution, ...).
/// </summary>
public sealed record ReflectionAdded(Guid ReflectionId, string? Project, string Category, string? SessionId, DateTimeOffset CreatedAt);
