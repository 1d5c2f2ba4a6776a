using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;

namespace MeshVolume.Services.Retention
{
    /// <summary>
    /// Which backups of one volume to keep, with the rules and decisions of restic 0.14's
    /// forget command: for the same backup times, policy and time zone it keeps the same backups.
    /// </summary>
    /// <remarks>
    /// Backups are taken newest first. -KeepLast n keeps the n newest. A counted period rule
    /// such as -KeepDaily n keeps the newest backup of each of the n newest days that have a
    /// backup, so days without one do not use up the count. -KeepWithin keeps every backup
    /// newer than the duration before the newest backup (not before now). -KeepTag keeps every
    /// backup that has all the tags of one value. A backup is kept when any rule keeps it.
    /// Restic computes the buckets in the UTC offset recorded with each snapshot, which is the
    /// same as this time zone when restic's backups were made in it.
    /// </remarks>
    public sealed class RetentionPolicy
    {
        /// <summary>Number of newest backups to keep.</summary>
        public int KeepLast { get; set; }

        /// <summary>
        /// Number of hours with a backup, newest first, whose newest backup is kept.
        /// </summary>
        public int KeepHourly { get; set; }

        /// <summary>
        /// Number of days with a backup, newest first, whose newest backup is kept.
        /// </summary>
        public int KeepDaily { get; set; }

        /// <summary>
        /// Number of ISO 8601 weeks (Monday to Sunday) with a backup, newest first, whose
        /// newest backup is kept.
        /// </summary>
        public int KeepWeekly { get; set; }

        /// <summary>
        /// Number of months with a backup, newest first, whose newest backup is kept.
        /// </summary>
        public int KeepMonthly { get; set; }

        /// <summary>
        /// Number of years with a backup, newest first, whose newest backup is kept.
        /// </summary>
        public int KeepYearly { get; set; }

        /// <summary>Keeps every backup newer than this duration before the newest backup.</summary>
        public RetentionDuration KeepWithin { get; set; }

        /// <summary>
        /// Tag lists: a backup is kept when it has every tag of at least one value. Tags in a
        /// value are separated by commas ("prod,db" means prod and db); an empty value matches
        /// backups without tags.
        /// </summary>
        public string[] KeepTag { get; set; }

        /// <summary>True when no rule is set.</summary>
        public bool IsEmpty =>
            KeepLast == 0 && KeepHourly == 0 && KeepDaily == 0 && KeepWeekly == 0 &&
            KeepMonthly == 0 && KeepYearly == 0 && KeepWithin == null &&
            (KeepTag == null || KeepTag.Length == 0);

        /// <summary>
        /// Throws a MeshVolumeException with the id RetentionPolicyInvalid when a count is
        /// negative, the duration is zero or no rule is set.
        /// </summary>
        public void Validate()
        {
            foreach (var (name, count) in CountedRules())
            {
                if (count < 0)
                {
                    throw Invalid($"-{name} is {count}, but a count cannot be negative. " +
                        $"Use a positive number, or leave out -{name}.");
                }
            }

            if (KeepWithin != null && KeepWithin.IsZero)
            {
                throw Invalid("-KeepWithin is zero. Give a duration such as 10d or 2w3d, " +
                    "or leave out -KeepWithin.");
            }

            if (IsEmpty)
            {
                throw Invalid("The retention policy has no rule. Give at least one of -KeepLast, " +
                    "-KeepHourly, -KeepDaily, -KeepWeekly, -KeepMonthly, -KeepYearly, " +
                    "-KeepWithin or -KeepTag.");
            }
        }

        /// <summary>
        /// Decides for each backup of one volume whether to keep it and why, newest first.
        /// Bucket dates are wall-clock dates in <paramref name="timeZone"/>. The newest backup
        /// before <paramref name="nowUtc"/> is the reference for -KeepWithin, so a backup
        /// stamped in the future by a wrong clock does not push the window forward.
        /// </summary>
        public IReadOnlyList<RetentionDecision> Evaluate(
            IEnumerable<RetentionCandidate> backups, TimeZoneInfo timeZone, DateTime nowUtc)
        {
            if (backups == null)
            {
                throw new ArgumentNullException(nameof(backups));
            }

            if (timeZone == null)
            {
                throw new ArgumentNullException(nameof(timeZone));
            }

            Validate();

            // Equal times are ordered by id, so the result never depends on the input order.
            // NOTE: restic orders equal times by its repository listing instead.
            List<RetentionCandidate> newestFirst = backups
                .OrderByDescending(b => b.CreatedUtc)
                .ThenBy(b => b.Id, StringComparer.Ordinal)
                .ToList();

            var rules = new RetentionRuleState(this, newestFirst, timeZone, nowUtc);
            var decisions = new List<RetentionDecision>(newestFirst.Count);
            for (int index = 0; index < newestFirst.Count; index++)
            {
                RetentionCandidate backup = newestFirst[index];
                decisions.Add(new RetentionDecision(backup, rules.Match(backup, index)));
            }

            return decisions;
        }

        /// <summary>
        /// Evaluates the policy like <see cref="Evaluate"/>, then throws a MeshVolumeException
        /// with the id RetentionWouldRemoveAll when it keeps none of the volume's backups,
        /// unless <paramref name="allowRemoveAll"/> is set.
        /// </summary>
        public IReadOnlyList<RetentionDecision> Apply(
            string volumeName, IEnumerable<RetentionCandidate> backups, TimeZoneInfo timeZone,
            DateTime nowUtc, bool allowRemoveAll)
        {
            IReadOnlyList<RetentionDecision> decisions = Evaluate(backups, timeZone, nowUtc);
            if (!allowRemoveAll && decisions.Count > 0 && decisions.All(d => !d.Keep))
            {
                throw new MeshVolumeException(
                    $"The retention policy '{this}' would remove all {decisions.Count} backups " +
                    $"of the volume '{volumeName}'. Check the policy, or add -AllowRemoveAll " +
                    "to remove them all.",
                    MeshErrors.RetentionWouldRemoveAll, ErrorCategory.InvalidOperation);
            }

            return decisions;
        }

        /// <summary>Describes the rules, such as "keep daily 7, weekly 4, within 10d".</summary>
        public override string ToString()
        {
            var parts = new List<string>();
            foreach (var (name, count) in CountedRules())
            {
                if (count != 0)
                {
                    string unit = name.Substring("Keep".Length).ToLowerInvariant();
                    parts.Add(unit + " " + count.ToString(CultureInfo.InvariantCulture));
                }
            }

            if (KeepWithin != null)
            {
                parts.Add("within " + KeepWithin);
            }

            foreach (string[] tags in ParseTagLists(KeepTag))
            {
                parts.Add("tag " + FormatTagList(tags));
            }

            return parts.Count == 0 ? "keep nothing" : "keep " + string.Join(", ", parts);
        }

        internal static List<string[]> ParseTagLists(string[] values)
        {
            var lists = new List<string[]>();
            foreach (string value in values ?? Array.Empty<string>())
            {
                lists.Add((value ?? string.Empty).Split(',').Select(t => t.Trim()).ToArray());
            }

            return lists;
        }

        internal static string FormatTagList(string[] tags)
        {
            string joined = string.Join(",", tags);
            return joined.Length == 0 ? "(none)" : joined;
        }

        private IEnumerable<(string Name, int Count)> CountedRules()
        {
            yield return (nameof(KeepLast), KeepLast);
            yield return (nameof(KeepHourly), KeepHourly);
            yield return (nameof(KeepDaily), KeepDaily);
            yield return (nameof(KeepWeekly), KeepWeekly);
            yield return (nameof(KeepMonthly), KeepMonthly);
            yield return (nameof(KeepYearly), KeepYearly);
        }

        private static MeshVolumeException Invalid(string message)
        {
            return new MeshVolumeException(
                message, MeshErrors.RetentionPolicyInvalid, ErrorCategory.InvalidArgument);
        }
    }
}
