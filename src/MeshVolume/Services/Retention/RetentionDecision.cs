using System;
using System.Collections.Generic;
using System.Linq;

namespace MeshVolume.Services.Retention
{
    /// <summary>A backup as input to a retention policy: its id, time and tags.</summary>
    public sealed class RetentionCandidate
    {
        public RetentionCandidate(string id, DateTime createdUtc, IEnumerable<string> tags = null)
        {
            if (string.IsNullOrEmpty(id))
            {
                throw new ArgumentException("A backup id is required.", nameof(id));
            }

            Id = id;
            CreatedUtc = ToUtc(createdUtc);
            Tags = (tags ?? Enumerable.Empty<string>()).Where(t => t != null).ToArray();
        }

        public string Id { get; }

        /// <summary>Backup time in UTC; a time of unspecified kind is taken as UTC.</summary>
        public DateTime CreatedUtc { get; }

        public IReadOnlyList<string> Tags { get; }

        private static DateTime ToUtc(DateTime time)
        {
            switch (time.Kind)
            {
                case DateTimeKind.Local:
                    return time.ToUniversalTime();
                case DateTimeKind.Unspecified:
                    return DateTime.SpecifyKind(time, DateTimeKind.Utc);
                default:
                    return time;
            }
        }
    }

    /// <summary>The verdict of a retention policy on one backup.</summary>
    public sealed class RetentionDecision
    {
        internal RetentionDecision(RetentionCandidate backup, IReadOnlyList<string> reasons)
        {
            Id = backup.Id;
            CreatedUtc = backup.CreatedUtc;
            Tags = backup.Tags;
            Reasons = reasons;
        }

        public string Id { get; }

        public DateTime CreatedUtc { get; }

        public IReadOnlyList<string> Tags { get; }

        /// <summary>True when at least one rule keeps the backup.</summary>
        public bool Keep => Reasons.Count > 0;

        /// <summary>
        /// Rules that keep the backup, such as "last", "daily 2026-12-03", "weekly 2026-W49",
        /// "within 10d" or "tag prod"; empty for a backup to remove.
        /// </summary>
        public IReadOnlyList<string> Reasons { get; }

        public override string ToString()
        {
            string verdict = Keep ? "keep (" + string.Join(", ", Reasons) + ")" : "remove";
            return $"{Id} {CreatedUtc:yyyy-MM-ddTHH:mm:ssZ} {verdict}";
        }
    }
}
