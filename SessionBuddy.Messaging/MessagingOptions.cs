using System.ComponentModel.DataAnnotations;

namespace SessionBuddy.Messaging;

/// <summary>The bus settings of every process, bound from the <c>Messaging</c> configuration section.</summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    /// <summary>
    /// How long start-up keeps trying to reach RabbitMQ before the process gives up. MassTransit retries a refused
    /// connection after about 6, 9, 15, 27 and then every 30 s, so a broker back within two and a half minutes is
    /// still joined.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "10675199.02:48:05.4775807", ErrorMessage = "must be positive")]
    public TimeSpan StartTimeout { get; set; } = DefaultStartTimeout;

    /// <summary>Unacknowledged deliveries per consumer: enough to keep database round trips overlapping.</summary>
    [Range(0, ushort.MaxValue, ErrorMessage = "must be between 0 and 65535 (RabbitMQ's prefetch count)")]
    public int PrefetchCount { get; set; } = 32;

    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromMinutes(3);
}
