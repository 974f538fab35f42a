using System.ComponentModel.DataAnnotations;
using SessionBuddy.AkoshaSync.Hub;

namespace SessionBuddy.AkoshaSync;

/// <summary>The <c>Akosha</c> configuration section: where this instance pushes, and whether it is a hub itself.</summary>
public sealed class AkoshaOptions : IValidatableObject
{
    public const string SectionName = "Akosha";

    /// <summary>Base address of the Akosha hub (another SessionBuddy with HubEnabled); nothing is pushed without it.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The hub's shared key, sent as a bearer token.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How this instance names itself to the hub (results are searchable by it there).</summary>
    [Required, StringLength(HubWire.MaxSystemIdLength)]
    public string SystemId { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>Whether worker tasks are pushed as they finish, not only with their pool's shutdown.</summary>
    public bool ForwardWorkerTasks { get; set; }

    /// <summary>Whether reflections (store_reflection, with text, tags and project) are pushed as they are stored.</summary>
    public bool ForwardReflections { get; set; }

    /// <summary>Whether sessions ended with a summary are pushed (name, project, summary, quality, duration).</summary>
    public bool ForwardSessionSummaries { get; set; }

    [Range(1, HubWire.MaxBatchItems)]
    public int BatchSize { get; set; } = 100;

    /// <summary>Attempts the hub may refuse an item before it is dead-lettered. An unreachable hub costs no attempts.</summary>
    [Range(1, int.MaxValue)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First delay of the exponential backoff (item retries and Polly's in-request retries), jittered.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Polly's retries of one batch request before the pass gives up (the items stay queued); 0: none.</summary>
    public int RequestRetries { get; set; } = 2;

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The circuit opens after this many consecutive failed requests (every retry is a request; a success in between
    /// starts the count again).
    /// </summary>
    [Range(1, int.MaxValue)]
    public int CircuitFailureThreshold { get; set; } = 5;

    /// <summary>How long the circuit stays open before one trial request (half-open).</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the pusher looks for due items when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>This instance accepts pushes from others at <c>/akosha/v1/results</c> (bearer <see cref="HubKey"/>).</summary>
    public bool HubEnabled { get; set; }

    public string? HubKey { get; set; }

    /// <summary>Largest result (serialized JSON bytes) the hub stores; bigger ones are refused item by item.</summary>
    public int HubMaxResultBytes { get; set; } = 1 << 20;

    public bool Configured => !string.IsNullOrWhiteSpace(Endpoint);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Configured && !(Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            yield return new ValidationResult("must be an absolute http(s) address", [nameof(Endpoint)]);
        }
        if (HubEnabled && string.IsNullOrWhiteSpace(HubKey))
        {
            yield return new ValidationResult("is required when HubEnabled is true (the key pushers send)", [nameof(HubKey)]);
        }
    }
}
