/* The image whose start-up policy_bench_run.c times: an mpk image with one
 * compartment whose main returns at once, so that a run is the runtime's
 * start-up and exit.  The runner starts it with no sharing policy (the
 * floor) and with policies of share-heap lines naming its functions
 * (FLEXOS_POLICY). */
int main(void)
{
	return 0;
}
