package blocksync

import "time"

var time0 = time.Unix(1000, 0)
