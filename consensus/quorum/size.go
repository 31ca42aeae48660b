package quorum

// BFT returns the byzantine quorum for n voters, ⌊2n/3⌋+1: any two such
// quorums share at least MaxFaulty(n)+1 voters, one of them correct. BFT(0)
// is 1, so an empty set can never decide.
func BFT(n int) int { return 2*n/3 + 1 }

// Majority returns the crash-fault quorum for n voters, ⌊n/2⌋+1.
func Majority(n int) int { return n/2 + 1 }

// MaxFaulty returns f = ⌊(n−1)/3⌋, the most byzantine voters a set of n
// tolerates (0 for n ≤ 1).
func MaxFaulty(n int) int {
	if n < 1 {
		return 0
	}
	return (n - 1) / 3
}
